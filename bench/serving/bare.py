"""The ceiling: a bare tornado handler around ``booster.predict``, nothing else.

    python bench/serving/bare.py MODEL_TXT COLUMNS_JSON PORT [PROCESSES]

No validation, no metrics, no error handling beyond what tornado does: the most a
tornado server can do per request on this machine. It takes the two shapes our server
is sent, KServe v1 ``instances`` (rows) and ``inputs`` (columns), so each gets the
fastest of them. With ``PROCESSES`` > 1 it forks
that many processes, each with its own ``SO_REUSEPORT`` listening socket on the port
(the kernel spreads the connections), the ceiling for ``--workers N``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import lightgbm as lgb
import numpy as np
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets


def main() -> None:
    columns = json.loads(sys.argv[2])
    port = int(sys.argv[3])
    processes = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    for _ in range(processes - 1):
        if os.fork() == 0:
            break  # a child serves; the parent forks the next one and serves too
    booster = lgb.Booster(model_file=sys.argv[1])  # after the fork, like --workers

    class Predict(web.RequestHandler):
        def post(self) -> None:
            body = json.loads(self.request.body)
            if "instances" in body:  # rows
                X = np.array([[r[c] for c in columns] for r in body["instances"]],
                             dtype=np.float64)
            else:  # "inputs" as columns
                X = np.column_stack([np.asarray(body["inputs"][c], dtype=np.float64)
                                     for c in columns])
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"predictions": np.asarray(booster.predict(X)).tolist()}))

    async def run() -> None:
        app = web.Application([(r"/predict", Predict)], log_function=lambda h: None)
        HTTPServer(app).add_sockets(bind_sockets(port, "127.0.0.1", reuse_port=processes > 1))
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


if __name__ == "__main__":
    main()
