/** The metrics room: one prom-client registry per switch, its catalog, and the docs table. */
export { SswMetrics, type EventLoopDelay, type MetricsOptions } from './registry.js';
export { METRIC_DEFS, DEFAULT_METRICS_PREFIX, type MetricDef, type MetricType } from './catalog.js';
export { renderMetricsTable, withMetricsTable, DOC_BEGIN, DOC_END } from './docs.js';
