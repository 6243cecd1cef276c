/**
 * The required fields of an OpenLineage RunEvent, written from the spec (https://openlineage.io/spec/2-0-2/
 * OpenLineage.json and the facets under spec/facets/), not copied from it:
 * - BaseEvent: `eventTime` (date-time), `producer` (URI), `schemaURL` (URI) are required; RunEvent adds `run` and
 *   `job`; `eventType` is one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER.
 * - Run: `runId` (a UUID) is required; Job and Dataset: `namespace` and `name` are required.
 * - Every facet (run, job, dataset, input and output facets) has `_producer` and `_schemaURL` (URIs).
 * - ErrorMessageRunFacet needs `message` and `programmingLanguage`; JobTypeJobFacet `processingType` and
 *   `integration`; ProcessingEngineRunFacet `version`; Input/OutputStatistics' counts are integers.
 * Returns every problem (empty when the event satisfies them).
 */
export function openLineageProblems(event: unknown): string[] {
  const problems: string[] = [];
  const at = (where: string, message: string) => problems.push(`${where}: ${message}`);
  const obj = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  const isUri = (value: unknown) => typeof value === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value);
  const isUuid = (value: unknown) =>
    typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
  const isDateTime = (value: unknown) =>
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value));
  const facets = (where: string, value: unknown) => {
    if (value === undefined) return;
    if (!obj(value)) {
      at(where, 'facets must be an object');
      return;
    }
    for (const [name, facet] of Object.entries(value)) {
      if (!obj(facet)) {
        at(`${where}.${name}`, 'a facet must be an object');
        continue;
      }
      if (!isUri(facet._producer)) at(`${where}.${name}._producer`, 'required URI');
      if (!isUri(facet._schemaURL)) at(`${where}.${name}._schemaURL`, 'required URI');
      const need = (field: string, ok: (v: unknown) => boolean, what: string) => {
        if (!ok(facet[field])) at(`${where}.${name}.${field}`, what);
      };
      const optionalInt = (field: string) => {
        if (facet[field] !== undefined && !Number.isInteger(facet[field])) at(`${where}.${name}.${field}`, 'integer');
      };
      if (name === 'errorMessage') {
        need('message', (v) => typeof v === 'string', 'required string');
        need('programmingLanguage', (v) => typeof v === 'string', 'required string');
      }
      if (name === 'jobType') {
        need('processingType', (v) => typeof v === 'string', 'required string');
        need('integration', (v) => typeof v === 'string', 'required string');
      }
      if (name === 'processing_engine') need('version', (v) => typeof v === 'string', 'required string');
      if (name === 'inputStatistics' || name === 'outputStatistics') {
        for (const field of ['rowCount', 'size', 'fileCount']) optionalInt(field);
      }
    }
  };
  const datasets = (where: string, value: unknown, facetKey: 'inputFacets' | 'outputFacets') => {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      at(where, 'must be an array');
      return;
    }
    value.forEach((dataset, index) => {
      const place = `${where}[${index}]`;
      if (!obj(dataset)) {
        at(place, 'must be an object');
        return;
      }
      if (typeof dataset.namespace !== 'string' || dataset.namespace === '') at(`${place}.namespace`, 'required');
      if (typeof dataset.name !== 'string' || dataset.name === '') at(`${place}.name`, 'required');
      facets(`${place}.facets`, dataset.facets);
      facets(`${place}.${facetKey}`, dataset[facetKey]);
    });
  };
  if (!obj(event)) return ['event: must be an object'];
  if (!isDateTime(event.eventTime)) at('eventTime', 'required date-time');
  if (!isUri(event.producer)) at('producer', 'required URI');
  if (!isUri(event.schemaURL)) at('schemaURL', 'required URI');
  if (
    event.eventType !== undefined &&
    !['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'].includes(String(event.eventType))
  )
    at('eventType', 'not a RunEvent event type');
  if (!obj(event.run)) at('run', 'required object');
  else {
    if (!isUuid(event.run.runId)) at('run.runId', 'required UUID');
    facets('run.facets', event.run.facets);
  }
  if (!obj(event.job)) at('job', 'required object');
  else {
    if (typeof event.job.namespace !== 'string' || event.job.namespace === '') at('job.namespace', 'required');
    if (typeof event.job.name !== 'string' || event.job.name === '') at('job.name', 'required');
    facets('job.facets', event.job.facets);
  }
  datasets('inputs', event.inputs, 'inputFacets');
  datasets('outputs', event.outputs, 'outputFacets');
  return problems;
}
