"""``python -m wafproxy`` == the ``wafproxy`` console script."""

from wafproxy.cli import main

raise SystemExit(main())
