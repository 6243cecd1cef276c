// nunjucks' AST transformer (no typings ship for nunjucks' internals).
declare module 'nunjucks/src/transformer.js' {
  const transformer: { transform(ast: unknown, asyncFilters: string[], name: string): unknown };
  export default transformer;
}
