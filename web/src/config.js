// Where the stream is and how to play it, from the page's URL and markup:
//   ?src=URL                overrides everything else (relative URLs allowed)
//   <meta name="sse-src">   set by the element when it serves this page
//   ./stream                default, relative to the page
//   ?mode=webcodecs|mse     forces a decode path (default: auto)
//   ?stats=1                shows the statistics overlay from the start

export const MODES = ['auto', 'webcodecs', 'mse'];

/**
 * @param {{search:string, baseUrl:string, metaSrc?:string|null}} page
 * @returns {{src:string, mode:string, showStats:boolean, warnings:string[]}}
 */
export function playerOptions({ search, baseUrl, metaSrc = null }) {
  const params = new URLSearchParams(search);
  const warnings = [];
  const src = new URL(params.get('src') || metaSrc || './stream', baseUrl).href;
  let mode = (params.get('mode') || 'auto').toLowerCase();
  if (!MODES.includes(mode)) {
    warnings.push(`unknown mode "${mode}", using auto (choose from ${MODES.join(', ')})`);
    mode = 'auto';
  }
  const stats = params.get('stats');
  const showStats = stats !== null && stats !== '0' && stats !== 'false';
  return { src, mode, showStats, warnings };
}
