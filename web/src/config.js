// Where the stream is and how to play it, from the page's URL and markup:
//   ?src=URL                overrides everything else (relative URLs allowed)
//   <meta name="sse-src">   set by the element when it serves this page
//   ./stream                default, relative to the page
//   ?mode=webcodecs|mse     forces a decode path (default: auto)
//   ?stats=1                shows the statistics overlay from the start
//   ?token=SECRET           passed on to the stream as ?token= (ssesink auth-token);
//                           EventSource cannot set headers, so the query carries it

export const MODES = ['auto', 'webcodecs', 'mse'];

/**
 * @param {{search:string, baseUrl:string, metaSrc?:string|null}} page
 * @returns {{src:string, mode:string, showStats:boolean, warnings:string[]}}
 */
export function playerOptions({ search, baseUrl, metaSrc = null }) {
  const params = new URLSearchParams(search);
  const warnings = [];
  const url = new URL(params.get('src') || metaSrc || './stream', baseUrl);
  const token = params.get('token');
  if (token !== null && !url.searchParams.has('token')) url.searchParams.set('token', token);
  const src = url.href;
  let mode = (params.get('mode') || 'auto').toLowerCase();
  if (!MODES.includes(mode)) {
    warnings.push(`unknown mode "${mode}", using auto (choose from ${MODES.join(', ')})`);
    mode = 'auto';
  }
  const stats = params.get('stats');
  const showStats = stats !== null && stats !== '0' && stats !== 'false';
  return { src, mode, showStats, warnings };
}
