/**
 * The shell and the small formatting pieces the daemon's HTML pages share (status page, run page, history): no
 * framework, no JavaScript, inline CSS, readable on a phone, dark mode.
 */

/** HTML-escape text for element content and attribute values. */
export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** A whole page: `body` is trusted HTML built with `esc`. */
export function htmlPage(title: string, body: string, options: { readonly refreshSeconds?: number } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">\n` : ''}<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The Content-Security-Policy of the pages: no script at all; forms post only to this origin. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PILL_CLASS: Record<string, string> = {
  success: 'ok',
  unchanged: 'ok',
  pass: 'ok',
  running: 'running',
  failed: 'bad',
  fail: 'bad',
  error: 'bad',
  abandoned: 'bad',
  'not reached': 'bad',
  interrupted: 'warn',
  cancelled: 'warn',
  warn: 'warn',
  skipped: 'muted',
};

/** A status as a coloured pill. */
export function pill(status: string): string {
  return `<span class="pill ${PILL_CLASS[status] ?? 'muted'}">${esc(status)}</span>`;
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Formatters by time zone and shape: building an `Intl.DateTimeFormat` costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, shape: 'full' | 'short' | 'clock'): Intl.DateTimeFormat {
  const key = `${shape}\u0000${timeZone}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      'en-GB',
      shape === 'full'
        ? {
            timeZone,
            day: 'numeric',
            month: 'short',
            year: 'numeric',
            hour: '2-digit',
            minute: '2-digit',
            hour12: false,
          }
        : shape === 'short'
          ? { timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false }
          : { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false },
    );
    formatters.set(key, format);
  }
  return format;
}

/** `10 Mar 2024, 06:00` in the schedule's time zone. */
export function formatTime(date: Date, timeZone: string): string {
  return formatter(timeZone, 'full').format(date);
}

/** `25 Nov 15:35` in the schedule's time zone. */
export function shortTime(date: Date, timeZone: string): string {
  return formatter(timeZone, 'short').format(date);
}

/** `06:00:01` in the schedule's time zone. */
export function clockTime(date: Date, timeZone: string): string {
  return formatter(timeZone, 'clock').format(date);
}

/** `in 3 h 5 min`, `2 min ago`, `just now`. */
export function relative(date: Date, now: Date): string {
  const ms = date.getTime() - now.getTime();
  const text = duration(Math.abs(ms));
  if (Math.abs(ms) < 5000) return 'just now';
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

/** `42 s`, `5 min`, `3 h 10 min`, `4 days`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

/** Seconds with a precision that suits them: `0.42 s`, `3.1 s`, `2 min`. */
export function seconds(value: number): string {
  if (value < 10) return `${value.toFixed(2)} s`;
  if (value < 60) return `${value.toFixed(1)} s`;
  return duration(value * 1000);
}

/** `1,234` */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** `98 KB`, `1.2 MB` */
export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let n = value / 1024;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[unit]}`;
}

export function timeTag(date: Date, text: string, title: string): string {
  return `<time datetime="${date.toISOString()}" title="${esc(title)}">${esc(text)}</time>`;
}

/** A run's page. */
export function runHref(id: string): string {
  return `/runs/${encodeURIComponent(id)}`;
}

/** The token field of a form: a password field a password manager can fill (the user name is fixed). */
export function tokenFields(): string {
  return `<input type="hidden" name="username" value="sluice-scheduler" autocomplete="username"><label class="field">Token <input type="password" name="token" required autocomplete="current-password" placeholder="SLUICE_SCHEDULER_TOKEN"></label>`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--dim:#656d76;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--run:#0969da;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--dim:#8d96a0;--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--run:#4493f8;--card:#161b22}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:8px;align-items:center;overflow-wrap:anywhere}h2{font-size:1.1rem;margin:24px 0 8px}h3{font-size:1rem;margin:16px 0 4px;overflow-wrap:anywhere}
.meta{margin:4px 0 0}.dim{color:var(--dim);font-size:.875rem}code{font-size:.85em;overflow-wrap:anywhere}
.badge{font-size:.8rem;font-weight:600;padding:2px 10px;border-radius:999px;color:#fff;background:var(--dim)}
.badge.ok{background:var(--ok)}.badge.failing{background:var(--bad)}.badge.running{background:var(--run)}.badge.paused{background:var(--warn)}
.note{padding:8px 12px;border-radius:8px;background:var(--card);border-left:4px solid var(--run);overflow-wrap:anywhere}.note.ok{border-left-color:var(--ok)}.note.warn{border-left-color:var(--warn)}
.alert{padding:4px 16px 8px;border-radius:8px;background:var(--card);border-left:4px solid var(--bad);overflow-wrap:anywhere}.alert h2{margin-top:12px;color:var(--bad)}
.alert ul{padding-left:20px;margin:8px 0}.alert li{margin:4px 0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);white-space:nowrap}.num{text-align:right;white-space:nowrap}td:first-child{overflow-wrap:anywhere}
.pill{display:inline-block;font-size:.75rem;font-weight:600;padding:1px 8px;border-radius:999px;border:1px solid currentColor;white-space:nowrap}
.pill.ok{color:var(--ok)}.pill.bad{color:var(--bad)}.pill.warn{color:var(--warn)}.pill.running{color:var(--run)}.pill.muted{color:var(--dim)}
.err{color:var(--bad);font-size:.8rem;overflow-wrap:anywhere}.nowrap{white-space:nowrap}
tr.sub td{border-top:0;padding-top:0}tr:has(+ tr.sub) td{border-bottom:0}.ok-text{color:var(--ok)}.warn-text{color:var(--warn)}
footer{margin:32px 0 8px;padding-top:12px;border-top:1px solid var(--line);font-size:.9rem}a{color:var(--run)}
form{margin:8px 0;padding:8px 12px;border:1px solid var(--line);border-radius:8px}form p{margin:6px 0}
.field{display:block;margin:6px 0;font-size:.9rem}.field input[type=password],.field input[type=text]{display:block;width:100%;max-width:28rem;padding:6px 8px;font:inherit;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.checks{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.9rem}.checks label{white-space:nowrap}
button{font:inherit;font-size:.9rem;padding:6px 14px;border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer;margin:4px 6px 4px 0}
.tl-row{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr) 4.5rem;gap:2px 8px;align-items:center;font-size:.85rem;padding:3px 0;border-bottom:1px solid var(--line)}.tl-row .num{font-size:.8rem}
.tl-name{overflow-wrap:anywhere}.tl-track{position:relative;height:10px;background:var(--card);border-radius:3px}
.tl-bar{position:absolute;top:0;height:10px;min-width:2px;border-radius:3px;background:var(--ok)}.tl-bar.bad{background:var(--bad)}.tl-bar.warn{background:var(--warn)}.tl-bar.muted{background:var(--dim)}
pre.log{font-size:.78rem;line-height:1.4;background:var(--card);padding:8px;border-radius:8px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.lvl-warn{color:var(--warn)}.lvl-error{color:var(--bad)}
@media (max-width:600px){main{padding:12px}th,td{padding:6px 6px}h1{font-size:1.3rem}.tl-row{grid-template-columns:minmax(0,1fr) 4.5rem}.tl-track{grid-column:1/-1}}
`;
