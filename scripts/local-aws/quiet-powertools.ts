/**
 * Local runs print their own timeline; Powertools' EMF metrics and JSON logs would interleave with it on stdout.
 * Imported first, before any handler module creates its Powertools instances.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_TRACE_DISABLED ??= 'true';
// Node 20 is this project's floor; the SDK's notice about its future Node 22 floor is not news to a demo viewer.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
