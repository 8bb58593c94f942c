"""The supervisors' workspace: its tiles, chart series, dispatch queue and Excel exports (issue #14).

The pages in ``app/web/workspace/`` render these through the JSON endpoints in ``views.py``, the same ones an
integrator calls; every count is filtered by the caller's scope (``app.auth.scope.case_scope``)."""
