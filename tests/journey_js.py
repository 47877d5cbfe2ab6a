"""The JavaScript the journey test evaluates in JupyterLab's page (window.jupyterapp, exposed by the test server)."""
from __future__ import annotations

APP = "window.jupyterapp"
# the open notebook at `path` (a main-area widget), or null
# (null too while the page is still loading and JupyterLab's app object does not exist yet)
FIND = f"""(path) => ({APP} && {APP}.shell && Array.from({APP}.shell.widgets('main'))
  .find(w => w.context && w.context.path === path)) || null"""
# 'dialog: <text>' while a dialog waits; else the notebook's kernel state, 'closed' when it is not open
STATE = f"""(path) => {{
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog) return 'dialog: ' + dialog.textContent.replace(/\\s+/g, ' ').slice(0, 300);
  const w = ({FIND})(path);
  if (!w) return 'closed';
  const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return (k ? k.connectionStatus + '/' + k.status : 'no kernel') + (w.isVisible ? '' : ' (hidden)');
}}"""
# links in the notebook's rendered Markdown that lead to another notebook: label (the bold word before it,
# 'Next:' or 'Practice:'), the path JupyterLab resolved it to (its href is the file's download address)
LINKS = f"""(path) => {{
  const w = ({FIND})(path);
  return Array.from(w.node.querySelectorAll('.jp-RenderedMarkdown a')).map((a, index) => {{
    const before = a.previousElementSibling;
    const label = before && before.tagName === 'STRONG' ? before.textContent.trim() : '';
    const url = new URL(a.href, location.href);
    const file = url.pathname.includes('/files/') ? decodeURIComponent(url.pathname.split('/files/')[1]) : '';
    return {{index, label, file, text: a.textContent}};
  }}).filter(link => link.file.endsWith('.ipynb'));
}}"""
# close the notebook and shut its kernel down (not awaited: the server finishes it while the walk goes on)
CLOSE = f"""(path) => {{ const w = ({FIND})(path); if (!w) return;
  w.sessionContext.shutdown().catch(() => {{}}); w.dispose(); }}"""
# what the server answers for a file (the learner sees nothing happen on a dead link; the server logs a 404)
EXISTS = """async (path) => (await fetch('/api/contents/' + path.split('/').map(encodeURIComponent).join('/')
  + '?content=0', {credentials: 'same-origin'})).status"""
READY = f"""(path) => {{ const w = ({FIND})(path); return !!(w && w.context.isReady && w.content.widgets.length); }}"""
ACTIVATE = f"""(path) => {APP}.shell.activateById(({FIND})(path).id)"""
SOURCES = f"""(path) => ({FIND})(path).content.widgets.map(c => [c.model.type, c.model.sharedModel.getSource()])"""
NEWS = "() => document.body.innerText.includes('official Jupyter news')"
THEME = f"""(theme) => {APP}.commands.execute('apputils:change-theme', {{theme}})"""
# cells a learner looks at: errors, figures, numbered lists, check boxes (index and kind)
SHOWN = f"""(path) => ({FIND})(path).content.widgets.map((c, i) => {{
  const n = c.node, kinds = [];
  if (n.querySelector('[data-mime-type="application/vnd.jupyter.error"], [data-mime-type="application/vnd.jupyter.stderr"]')) kinds.push('error');
  if (n.querySelector('.jp-RenderedImage img')) kinds.push('figure');
  if (n.querySelector('.jp-RenderedMarkdown ol')) kinds.push('list');
  if (n.querySelector('.jp-RenderedHTMLCommon .check-result, .jp-OutputArea-output[data-mime-type="text/html"] div[style*="border-left"]')) kinds.push('check');
  return [i, kinds.join('+')];
}}).filter(([i, kinds]) => kinds)"""
