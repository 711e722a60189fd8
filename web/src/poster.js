// The poster: while the player joins, the stream's latest key frame as the
// element serves it (GET <path>/snapshot.jpg, docs/operations.md), so a
// viewer sees a picture before the first frame decodes. It goes at the
// first frame drawn. A snapshot that is not there (503 before the first key
// frame or without a decoder on the server, 404 from a server without
// snapshots, such as nchan) shows nothing and says nothing: the player's
// own messages tell what it waits for.

/**
 * The snapshot URL of the stream at `src` (absolute, or relative to
 * `base`): its path + /snapshot.jpg, with its ?token= (the same access
 * rules as the stream) and nothing else of its query. Null for a URL that
 * does not parse.
 */
export function snapshotUrl(src, base = undefined) {
  let url;
  try {
    url = new URL(src, base);
  } catch {
    return null;
  }
  const token = url.searchParams.get('token');
  url.pathname = url.pathname.replace(/\/?$/, '/snapshot.jpg');
  url.search = token === null ? '' : `?${new URLSearchParams({ token })}`;
  url.hash = '';
  return url.href;
}

export class Poster {
  /**
   * @param {HTMLElement} root the player's element (the poster goes over its screen)
   * @param {string} src the stream URL
   */
  constructor(root, src) {
    this.state = 'loading'; // loading, shown, none (no snapshot), gone (a frame is drawn)
    this.shownAt = null; // performance.now() when it appeared
    const url = snapshotUrl(src, document.baseURI);
    if (!url) {
      this.state = 'none';
      return;
    }
    const img = document.createElement('img');
    img.className = 'screen poster'; // laid out as the picture until the path's own screen shows
    img.alt = '';
    img.title = 'The latest key frame, until the live picture starts';
    img.hidden = true;
    img.addEventListener('load', () => {
      if (this.state !== 'loading') return;
      this.state = 'shown';
      this.shownAt = performance.now();
      img.hidden = false;
    });
    img.addEventListener('error', () => this.#remove('none'));
    this.img = img;
    root.prepend(img);
    img.src = url;
  }

  /**
   * Called as the player renders: the poster goes once a frame is drawn;
   * until then, once the path's `screen` (canvas or video) shows, it lies
   * over it instead of sharing the room.
   */
  update(framesDrawn, screen) {
    if (framesDrawn > 0 && (this.state === 'loading' || this.state === 'shown')) this.#remove('gone');
    const img = this.img;
    if (!img || !screen || screen.hidden) return;
    img.classList.add('over');
    Object.assign(img.style, {
      left: `${screen.offsetLeft}px`, top: `${screen.offsetTop}px`,
      width: `${screen.offsetWidth}px`, height: `${screen.offsetHeight}px`,
    });
  }

  #remove(state) {
    this.state = state;
    this.img?.remove();
    this.img = null;
  }
}
