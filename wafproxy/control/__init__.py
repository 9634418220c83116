"""The WAF's own control plane: the AWS WAFv2 API (boto3 / aws CLI), persistence, hot reload.

Public API (see docs/control-plane.md):

- ``reloader.Reloader`` — owns the store and the serving ``CompiledWebACL``; file watch, SIGHUP,
  TTL expiry and Redis pub/sub; calls each swap callback (``WafMiddleware.swap_acl``).
- ``plane.ControlPlane`` — the WAFv2 operations over a ``Reloader``; ``plane.app`` is the ASGI app.
- ``plane.mount(plane, admin_app)`` — the admin app with the API at ``POST /`` and the reloader tied to
  its lifespan; ``plane.with_reloader(reloader, app)`` does the latter for a worker's data path.
- ``sampler.RequestSampler`` — the ``EventSink`` behind ``GetSampledRequests``.
- ``ops_extra.ControlPlaneIPSetWriter`` — ``ports.IPSetWriter`` (addresses with a TTL) for sidecars.
"""
