"""The supervisors' workspace pages under /s/ (server-rendered, zh-CN, desktop first, usable on a phone).

Same session cookie, CSRF token and headers as the mediators' pages (``app/web/``); every action goes
through the JSON API from the page's JavaScript, and the charts draw the API's series with ECharts, which
is loaded on these pages only."""
