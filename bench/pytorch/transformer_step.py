#!/usr/bin/env python3
"""PyTorch reference timing for the authors' character Transformer (SI S5), untracked.

The model is the authors' `charac-transformer.py` exactly (authors-code-notes.md §1.2): embedding(50, 128)
scaled by √128, sinusoidal positions, `nn.TransformerEncoder` of 2 post-LN layers (d_model 128, 4 heads,
feed-forward 512, dropout 0.1, batch_first), `nn.Linear(128, 50)`, cross-entropy over B·50 tokens,
`optim.SGD(lr=0.1)`, `model.train()`. Batches are windows of the pangram, as their DataLoader draws them.

    python3 bench/pytorch/transformer_step.py --batch-size 8 --threads 1 --steps 300 --repeats 5

prints one JSON line: the median steps/s over the repeats (each repeat times `--steps` steps after
`--warmup` untimed ones), the individual rates, torch's version and thread count. `criticality bench
--models transformer` prints the matching tracked rate; docs/benchmarks.md records both side by side.
"""
import argparse, json, math, time

import torch
import torch.nn as nn


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=5000):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class CharTransformer(nn.Module):
    def __init__(self, vocab=50, d_model=128, heads=4, layers=2, ffn=512, dropout=0.1, causal=False):
        super().__init__()
        self.d_model, self.causal = d_model, causal
        self.embedding = nn.Embedding(vocab, d_model)
        self.pos_encoder = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model=d_model, nhead=heads, dim_feedforward=ffn, dropout=dropout, batch_first=True)
        self.transformer_encoder = nn.TransformerEncoder(layer, num_layers=layers)
        self.fc = nn.Linear(d_model, vocab)

    def forward(self, x):
        h = self.pos_encoder(self.embedding(x) * math.sqrt(self.d_model))
        mask = None
        if self.causal:
            mask = torch.triu(torch.full((x.size(1), x.size(1)), float("-inf")), diagonal=1)
        return self.fc(self.transformer_encoder(h, mask=mask))


def pangram_windows(context=50):
    text = "thequickbrownfoxjumpsoverthelazydog" * 100
    chars = sorted(set(text))
    ids = torch.tensor([chars.index(c) for c in text])
    n = len(ids) - context
    return torch.stack([ids[i : i + context + 1] for i in range(n)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--causal", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = CharTransformer(causal=a.causal)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    windows = pangram_windows()
    g = torch.Generator().manual_seed(2)

    def step():
        idx = torch.randint(0, windows.size(0), (a.batch_size,), generator=g)
        w = windows[idx]
        x, y = w[:, :-1], w[:, 1:]
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out.reshape(-1, 50), y.reshape(-1))
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    rates = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.steps / (time.perf_counter() - t0))
    rates_sorted = sorted(rates)
    print(json.dumps({"model": "transformer", "batch_size": a.batch_size, "threads": a.threads, "causal": a.causal,
                      "steps_per_second_median": rates_sorted[len(rates) // 2], "steps_per_second": rates,
                      "torch": torch.__version__, "torch_threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
