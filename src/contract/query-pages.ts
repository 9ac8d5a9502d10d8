import type { Backend, QueryInput, QueryPage } from './backend.js';

/**
 * Every page of a query, in order: asks `backend` for the first page (from `input.after` when
 * given), then for the page after each page's `lastKey`, until a page has none. The next page is
 * asked for only when the consumer wants it, so breaking out of the loop stops the query.
 *
 * @example
 * ```ts
 * for await (const page of queryPages(backend, { partition: 'p', prefix: 'job#', consistent: true })) {
 *   for (const item of page.items) console.log(item.key);
 * }
 * ```
 */
export async function* queryPages(backend: Backend, input: QueryInput): AsyncGenerator<QueryPage, void> {
  const { after: start, ...rest } = input;
  let after = start;
  do {
    const page = await backend.query({ ...rest, ...(after !== undefined && { after }) });
    yield page;
    after = page.lastKey;
  } while (after !== undefined);
}
