// The report's style, inline in the HTML (allowed by its hash). Light and dark follow the reader's system
// (prefers-color-scheme); the colours keep WCAG AA contrast for text on both. Rows have a fixed height:
// the grid is virtualized (only the rows in view are in the document).

export const REPORT_ROW_HEIGHT = 30;

export const REPORT_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; --accent: #0969da;
  --ok: #1a7f37; --bad: #cf222e; --flip: #fff8c5; --warn-bg: #fff8c5; --warn-fg: #6b4f00; --focus: #0969da;
  --row: ${REPORT_ROW_HEIGHT}px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #151b23; --accent: #4493f8;
    --ok: #3fb950; --bad: #f85149; --flip: #3b2e00; --warn-bg: #3b2e00; --warn-fg: #f0c95a; --focus: #4493f8;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
#app { max-width: 1400px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 4px 0; }
h2 { font-size: 17px; margin: 24px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.muted { color: var(--muted); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.warning { background: var(--warn-bg); color: var(--warn-fg); padding: 6px 10px; border-radius: 6px; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.sentence { font-weight: 600; }
.good { color: var(--ok); } .bad { color: var(--bad); }
nav.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin-top: 20px; }
nav.tabs button { background: none; border: 0; border-bottom: 2px solid transparent; color: var(--muted);
  padding: 8px 12px; font: inherit; cursor: pointer; }
nav.tabs button[aria-selected="true"] { color: var(--fg); border-bottom-color: var(--accent); font-weight: 600; }
button, select, input { font: inherit; color: var(--fg); background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 4px 8px; }
button { cursor: pointer; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 1px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 10px 0; }
.toolbar input[type=search] { min-width: 280px; flex: 1; }
.grid-row { display: grid; grid-template-columns: var(--grid-columns); height: var(--row); align-items: center;
  border-bottom: 1px solid var(--line); }
.grid-head { font-weight: 600; color: var(--muted); height: auto; min-height: var(--row); }
.grid-list { position: relative; height: 60vh; min-height: 240px; overflow: auto; border: 1px solid var(--line);
  border-radius: 6px; }
.spacer { position: relative; }
.spacer .grid-row { position: absolute; left: 0; right: 0; cursor: pointer; }
.spacer .grid-row:hover { background: var(--panel); }
.grid-row.is-flipped .cell.flipped { background: var(--flip); }
.cell { padding: 0 8px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.cell .ok { color: var(--ok); margin-right: 6px; } .cell .bad { color: var(--bad); margin-right: 6px; }
.pair-panel { position: fixed; top: 0; right: 0; bottom: 0; width: min(760px, 100%); background: var(--bg);
  border-left: 1px solid var(--line); box-shadow: -8px 0 24px rgba(0,0,0,.25); overflow: auto; padding: 16px 20px; }
.pair-panel[hidden] { display: none; }
.turn, .response, .reasoning, .persona-text { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--panel);
  border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 4px 0 10px; }
.role { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; }
.verdicts td { font-size: 13px; }
details { margin: 6px 0; }
summary { cursor: pointer; }
.version { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.badge { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; font-size: 12px;
  color: var(--muted); margin-left: 6px; }
`;
