/** @module The dashboard stylesheet, served from /admin/static/admin.css (CSP style-src 'self': no inline styles). */

/** Navy and red from the original dashboard; system fonts only (no CDN). */
export const ADMIN_CSS = `
:root { --navy: #1a1a2e; --accent: #e32f4b; --ink: #1f2330; --muted: #667085; --line: #e4e7ec; --bg: #f5f6f8; }
* { box-sizing: border-box; }
body {
  margin: 0;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink);
  background: var(--bg);
}
header { background: var(--navy); color: #fff; padding: 12px 24px; display: flex; align-items: center; gap: 24px; }
header h1 { font-size: 18px; margin: 0; flex: 1; }
header nav a { color: #cfd3dc; text-decoration: none; margin-right: 16px; }
header nav a.current, header nav a:hover { color: #fff; border-bottom: 2px solid var(--accent); }
main { max-width: 1200px; margin: 24px auto; padding: 0 24px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin-bottom: 24px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 600; }
section {
  background: #fff;
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 16px;
  margin-bottom: 24px;
  overflow-x: auto;
}
section h2 { font-size: 16px; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.badge {
  display: inline-block;
  background: #eef0ff;
  color: #3538cd;
  border-radius: 10px;
  padding: 0 8px;
  margin: 1px;
  font-size: 12px;
}
.badge.fail { background: #fef3f2; color: #b42318; }
.empty { color: var(--muted); }
.error {
  background: #fef3f2;
  color: #b42318;
  border: 1px solid #fecdca;
  border-radius: 6px;
  padding: 8px 12px;
  margin-bottom: 12px;
}
button {
  background: var(--accent);
  color: #fff;
  border: 0;
  border-radius: 6px;
  padding: 8px 16px;
  font: inherit;
  cursor: pointer;
}
header button { padding: 4px 12px; }
button.danger { background: #b42318; }
.block-form { display: flex; gap: 4px; }
.block-form input[type=text] { width: 9em; padding: 3px 6px; font: inherit; }
.block-form button, #blocks-table button { padding: 3px 10px; }
.login {
  max-width: 380px;
  margin: 12vh auto;
  background: #fff;
  border: 1px solid var(--line);
  border-radius: 12px;
  padding: 32px;
}
.login h1 { margin: 0 0 4px; font-size: 22px; }
.login p { color: var(--muted); margin: 0 0 20px; }
.login label { display: block; font-weight: 600; margin-bottom: 4px; }
.login input {
  width: 100%;
  padding: 8px 10px;
  border: 1px solid var(--line);
  border-radius: 6px;
  font: inherit;
  margin-bottom: 16px;
}
.chart { width: 100%; height: auto; }
.chart text { font-size: 10px; fill: var(--muted); }
footer { color: var(--muted); font-size: 12px; text-align: center; margin: 24px 0; }
`;
