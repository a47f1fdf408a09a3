"""The ceiling: a bare tornado handler around ``booster.predict``, nothing else.

    python bench/serving/bare.py MODEL_TXT COLUMNS_JSON PORT

No validation, no metrics, no error handling beyond what tornado does: the most a
tornado server can do per request on this machine.
"""

from __future__ import annotations

import asyncio
import json
import sys

import lightgbm as lgb
import numpy as np
from tornado import web


def main() -> None:
    booster = lgb.Booster(model_file=sys.argv[1])
    columns = json.loads(sys.argv[2])
    port = int(sys.argv[3])

    class Predict(web.RequestHandler):
        def post(self) -> None:
            rows = json.loads(self.request.body)["instances"]
            X = np.array([[r[c] for c in columns] for r in rows], dtype=np.float64)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"predictions": booster.predict(X).tolist()}))

    async def run() -> None:
        web.Application([(r"/predict", Predict)], log_function=lambda h: None).listen(
            port, "127.0.0.1")
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


if __name__ == "__main__":
    main()
