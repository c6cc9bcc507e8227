"""``python -m govgraph_counciltax DATA_DIR``: writes the synthetic export (see ``generate``)."""

from __future__ import annotations

from govgraph_counciltax.generate import main

raise SystemExit(main())
