#!/usr/bin/env python3
"""PyTorch's values for Criticality's Transformer, llm.c style: the same model, the same weights, one batch.

Criticality exports a small model's initial weights (its own initialisation, independent layers) with a
fixed batch of tokens and targets:

    CRITICALITY_TRANSFORMER_EXPORT=/tmp/transformer_export.json \
        swift test --filter TransformerReferenceTests/testExportForPyTorch

then this script builds PyTorch's model of the same shape (bench/pytorch/models.py's `CharTransformer`, the authors':
nn.Embedding scaled by √d, sinusoidal positions, nn.TransformerEncoder of post-LN
nn.TransformerEncoderLayer(batch_first=True), nn.Linear to the vocabulary), loads those weights into it
(Criticality's segment `layers_0.in_proj_weight` is PyTorch's
`transformer_encoder.layers.0.self_attn.in_proj_weight`), and writes the token-mean cross-entropy, the
logits and every parameter's gradient — with dropout off (p = 0 in training mode, PyTorch's slow path),
without and with the causal mask — to transformer_reference.json beside this file:

    python3 Tests/CriticalityTests/Model/Reference/transformer_reference.py /tmp/transformer_export.json

Arrays are little-endian float32, base64-encoded, so the fixture stays a few KB. The test
(TransformerReferenceTests) loads the weights from the fixture, so it does not depend on Criticality's
initialisation staying the same.
"""
import base64, json, math, sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

# The PyTorch model of bench/pytorch/models.py (the one the speed comparison times).
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "bench" / "pytorch"))
from models import CharTransformer  # noqa: E402


def b64(a):
    return base64.b64encode(np.asarray(a, dtype="<f4").tobytes()).decode()


def unb64(s):
    return np.frombuffer(base64.b64decode(s), dtype="<f4")


def torch_name(segment):
    layer, kind = segment.split(".")
    if layer == "embedding":
        return "embedding.weight"
    if layer == "fc":
        return "fc." + kind
    i = layer.split("_")[1]
    attn = {"in_proj_weight": "self_attn.in_proj_weight", "in_proj_bias": "self_attn.in_proj_bias",
            "out_proj_weight": "self_attn.out_proj.weight", "out_proj_bias": "self_attn.out_proj.bias"}
    part = attn.get(kind) or kind.replace("_weight", ".weight").replace("_bias", ".bias")
    return f"transformer_encoder.layers.{i}.{part}"


def main():
    export = json.loads(Path(sys.argv[1]).read_text())
    s = export["spec"]
    models = {causal: CharTransformer(s["vocabulary"], s["d_model"], s["heads"], s["layers"], s["feed_forward"], s["context"],
                                      dropout=0.0, causal=causal) for causal in (False, True)}
    model = models[False]
    model.train()
    theta = unb64(export["parameters"])
    for m in models.values():
        params = dict(m.named_parameters())
        for seg in export["segments"]:
            p = params[torch_name(seg["name"])]
            values = theta[seg["offset"]: seg["offset"] + seg["count"]].reshape(seg["shape"])
            assert tuple(p.shape) == tuple(values.shape), (seg["name"], p.shape, values.shape)
            with torch.no_grad():
                p.copy_(torch.from_numpy(values.copy()))
    tokens = torch.tensor(export["tokens"]).reshape(export["batch"], s["context"])
    targets = torch.tensor(export["targets"]).reshape(-1)
    out = dict(export)
    for causal in (False, True):
        model = models[causal]
        model.train()
        params = dict(model.named_parameters())
        logits = model(tokens)
        loss = nn.CrossEntropyLoss()(logits.reshape(-1, s["vocabulary"]), targets)
        loss.backward()
        grads = np.concatenate([params[torch_name(seg["name"])].grad.detach().numpy().reshape(-1) for seg in export["segments"]])
        out["causal" if causal else "bidirectional"] = {"loss": float(loss.detach()), "logits": b64(logits.detach().numpy().reshape(-1)),
                                                        "gradients": b64(grads)}
    out["torch"] = torch.__version__
    Path(__file__).with_name("transformer_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
