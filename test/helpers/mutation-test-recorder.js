// setupFilesAfterEnv of jest.mutation.config.js: see mutation-test-map.js.
require('./mutation-test-map').record();
