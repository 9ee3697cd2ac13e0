"""gradscope's PyTorch client: ``watch(model)`` streams per-layer gradient
statistics of your own training run to a gradscope server, which diagnoses
it (healthy, vanishing, exploding, diverged) like its own jobs.

    import gradscope
    with gradscope.watch(model, url="http://127.0.0.1:8080", run_name="mine") as run:
        for x, y in data:
            loss = loss_fn(model(x), y)
            opt.zero_grad(); loss.backward(); opt.step()
            run.log(loss)            # optional: the loss, for the loss chart and checks

The standard library only (urllib, threading) besides torch.
"""
from .watch import Watch, watch, EDGES_DEFAULT

__all__ = ["watch", "Watch", "EDGES_DEFAULT"]
