// Where the stream is and how to play it, from the page's URL and markup:
//   ?src=URL                overrides everything else (relative URLs allowed);
//                           repeated (?src=A&src=B), the URLs of nodes serving
//                           the same stream, tried in turn when one fails
//   <meta name="sse-src">   set by the element when it serves this page
//   ./stream                default, relative to the page
//   ?mode=webcodecs|mse     forces a decode path (default: auto)
//   ?stats=1                shows the statistics overlay from the start
//   ?token=SECRET           passed on to the stream as ?token= (ssesink auth-token);
//                           EventSource cannot set headers, so the query carries it

export const MODES = ['auto', 'webcodecs', 'mse'];

/**
 * @param {{search:string, baseUrl:string, metaSrc?:string|null}} page
 * @returns {{src:string, sources:string[], mode:string, showStats:boolean, warnings:string[]}}
 *   `sources`: every stream URL, in failover order; `src` is the first.
 */
export function playerOptions({ search, baseUrl, metaSrc = null }) {
  const params = new URLSearchParams(search);
  const warnings = [];
  const given = params.getAll('src').filter((s) => s !== '');
  const token = params.get('token');
  const sources = [];
  for (const s of given.length > 0 ? given : [metaSrc || './stream']) {
    const url = new URL(s, baseUrl);
    if (token !== null && !url.searchParams.has('token')) url.searchParams.set('token', token);
    if (!sources.includes(url.href)) sources.push(url.href);
  }
  const src = sources[0];
  let mode = (params.get('mode') || 'auto').toLowerCase();
  if (!MODES.includes(mode)) {
    warnings.push(`unknown mode "${mode}", using auto (choose from ${MODES.join(', ')})`);
    mode = 'auto';
  }
  const stats = params.get('stats');
  const showStats = stats !== null && stats !== '0' && stats !== 'false';
  return { src, sources, mode, showStats, warnings };
}
