"""Measure the adversarial tries against a checkout: exit code, seconds, peak RSS.

    python tests/adversarial/measure.py BEFORE_ROOT AFTER_ROOT > table.md          (issue 12)
    python tests/adversarial/measure.py --issue 22 BEFORE_ROOT AFTER_ROOT > table.md

Each try runs ``python -m studio.cli`` from the given root in a child limited to
3 GiB of address space (RLIMIT_AS) and a timeout (60 s; 10 s for the tries that
hang forever before), so a "before" cannot eat the machine. Not a test.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from hostile import deep_labels_checkpoint, run_cli, save_payload, save_tiny, torch_zip, with_config, zip_bomb  # noqa: E402
import hostile  # noqa: E402


def build(d: Path) -> dict:
    f = {}
    f["good"] = save_tiny(d / "good.pt", seed=1)
    f["b"] = save_tiny(d / "b.pt", seed=2)
    for field, value in [
        ("depth", 10**4),
        ("heads", 10**6),
        ("dim", 10**6),
        ("num_tokens", 10**9),
        ("dim_head", 10**6),
        ("ff_expand_factor", 1e7),
        ("depth30", 10**30),
    ]:
        f[field] = save_payload(d / f"{field}.pt", with_config(**{field.rstrip("30"): value}))
    os.mkfifo(d / "fifo.pt")
    f["fifo"] = d / "fifo.pt"
    with open(d / "sparse3g.pt", "wb") as h:
        h.truncate(3 << 30)
    f["sparse"] = d / "sparse3g.pt"
    f["bomb"] = zip_bomb(d / "bomb.pt", unpacked_mb=2400)

    def setter(key, value):
        def edit(p):
            p[key] = value

        return edit

    def nan(p):
        k = next(k for k in p["model"] if k.endswith("weight.original"))
        p["model"][k] = p["model"][k].clone()
        p["model"][k][0, 0] = math.nan

    def meta(p):
        p["model"] = {k: torch.empty(v.shape, device="meta") for k, v in p["model"].items()}

    def surrogate(p):
        itos = dict(p["itos"])
        itos[5] = "\ud800"
        p["itos"] = itos
        p.pop("stoi", None)

    def intkeys(p):
        p["model"] = {i: v for i, v in enumerate(p["model"].values())}

    f["config_extra"] = save_payload(d / "config_extra.pt", setter("config_extra", 5))
    f["metrics"] = save_payload(d / "metrics.pt", setter("metrics", 5))
    f["lineage"] = save_payload(d / "lineage.pt", setter("lineage", {"parents": "mum"}))
    f["num_tokens_abc"] = save_payload(d / "abc.pt", with_config(num_tokens="abc"))
    f["dim0"] = save_payload(d / "dim0.pt", with_config(dim=0))
    f["depth-3"] = save_payload(d / "depthneg.pt", with_config(depth=-3))
    f["intkeys"] = save_payload(d / "intkeys.pt", intkeys)
    f["meta"] = save_payload(d / "meta.pt", meta)
    f["surrogate"] = save_payload(d / "surrogate.pt", surrogate)
    f["nan"] = save_payload(d / "nan.pt", nan)
    f["dtype"] = torch_zip(d / "dtype.pt", b"\x80\x02cnumpy\ndtype\nK\x05\x85R.")
    f["system"] = torch_zip(
        d / "system.pt",
        b"\x80\x02}(X\x06\x00\x00\x00configcposix\nsystem\nX\x04\x00\x00\x00true\x85RX\x05\x00\x00\x00model}u.",
    )
    f["deeplist"] = deep_labels_checkpoint(d / "deeplist.pt")
    (d / "text.txt").write_text("hello cats\n" * 50)
    f["text"] = d / "text.txt"
    rows = [json.dumps({"label": "Cats", "art": "=^.^="}), '{"art": ' + "[" * 100_000 + "]" * 100_000 + "}"]
    (d / "nested.jsonl").write_text("\n".join(rows) + "\n")
    f["nested"] = d / "nested.jsonl"
    (d / "folder" / "Cats" / "x.txt").mkdir(parents=True)
    (d / "folder" / "Cats" / "ok.txt").write_text("=^.^=\n")
    f["folder"] = d / "folder"
    return f


def tries(f: dict, d: Path) -> list[tuple[str, list, dict]]:
    hang = {"timeout": 10}
    t = [
        (f"info config {k}", ["info", f[k]], {})
        for k in ("depth", "heads", "dim", "num_tokens", "dim_head", "ff_expand_factor", "depth30")
    ]
    t += [
        ("info FIFO", ["info", f["fifo"]], hang),
        ("info /dev/zero", ["info", "/dev/zero"], hang),
        ("eval --text FIFO", ["eval", f["good"], "--text", f["fifo"]], hang),
        ("info 3 GB sparse file", ["info", f["sparse"]], {}),
        ("info 2.4 GB zip bomb", ["info", f["bomb"]], {}),
        ("info np.dtype(5)", ["info", f["dtype"]], {}),
        ("info 200,000-deep list", ["info", f["deeplist"]], {}),
    ]
    for k in ("config_extra", "metrics", "lineage", "num_tokens_abc", "dim0", "depth-3", "intkeys"):
        t.append((f"info {k}", ["info", f[k]], {}))
    t += [
        ("sample meta tensors", ["sample", f["meta"], "-n", "1", "--max-chars", "5"], {}),
        ("sample surrogate itos", ["sample", f["surrogate"], "-n", "1", "--max-chars", "5"], {}),
        ("info posix.system", ["info", f["system"]], {}),
        ("sample NaN weights", ["sample", f["nan"], "-n", "1", "--max-chars", "5"], {}),
        ("eval NaN weights", ["eval", f["nan"], "--text", f["text"]], {}),
        (
            "sample --seed 2**70",
            ["sample", f["good"], "--seed", "1180591620717411303424", "-n", "1", "--max-chars", "5"],
            {},
        ),
        ("sample -t nan", ["sample", f["good"], "-t", "nan", "-n", "1", "--max-chars", "5"], {}),
        ("train --lr nan", ["train", "--corpus", "builtin", "--lr", "nan", "--steps", "1", "-o", d / "t1.pt"], {}),
        ("train --dim 0", ["train", "--corpus", "builtin", "--dim", "0", "--steps", "1", "-o", d / "t2.pt"], {}),
        (
            "train --dim-head 0",
            ["train", "--corpus", "builtin", "--dim-head", "0", "--steps", "1", "-o", d / "t3.pt"],
            {},
        ),
        ("eval --text FOLDER", ["eval", f["good"], "--text", d], {}),
        ("eval --context 0", ["eval", f["good"], "--text", f["text"], "--context", "0"], {}),
        ("eval --max-chars -1", ["eval", f["good"], "--text", f["text"], "--max-chars", "-1"], {}),
        ("corpus build --per-class 0", ["corpus", "build", "builtin", "--per-class", "0", "-o", d / "c.jsonl"], {}),
        ("corpus import nested row", ["corpus", "import", f["nested"], "-o", d / "n.jsonl"], {}),
        ("corpus import dir x.txt", ["corpus", "import", f["folder"], "-o", d / "f.jsonl"], {}),
        (
            "sample C --out C",
            ["sample", d / "victim1.pt", "-n", "1", "--max-chars", "5", "--out", d / "victim1.pt"],
            {},
        ),
        ("breed A B -o A", ["breed", d / "victim2.pt", f["b"], "-o", d / "victim2.pt"], {}),
    ]
    return t


def build22(d: Path) -> dict:
    """The files of the issue-22 tries (see tests/adversarial/test_*.py for each)."""
    f = {"good": save_tiny(d / "good.pt", seed=1), "b": save_tiny(d / "b.pt", seed=2)}
    f["amp"] = hostile.amplifying_numpy_pickle(d / "amp.pt")
    f["void"] = hostile.numpy_metric_checkpoint(d / "void.pt", hostile.numpy_scalar("V8", b"12345678"))
    f["bombtail"] = zip_bomb(d / "bombtail.pt", unpacked_mb=600)
    with open(f["bombtail"], "ab") as handle:
        handle.write(b"PK\x05\x06")
    f["view"] = save_payload(d / "view.pt", lambda p: hostile.broadcast_weight(p, 20_000, 20_000))
    f["vocab"] = save_payload(d / "vocab.pt", hostile.long_vocab_entry)
    f["f8"] = save_payload(d / "f8.pt", hostile.float8_weights)
    f["noname"] = save_payload(d / "noname.pt", hostile.none_named_parent)
    f["parquet"] = hostile.parquet_bomb(d / "bomb.parquet")
    for name in ("sparse.jsonl", "sparse.txt"):
        with open(d / name, "wb") as handle:
            handle.truncate(1500 << 20)
    (d / "t.txt").write_text("=^.^= cats and fish ><> " * 40)
    rows = [json.dumps({"label": ["Cats", "Fish"][i % 2], "art": f"/\\_/\\ {i}"}) for i in range(40)]
    (d / "c.jsonl").write_text("\n".join(rows) + "\n")
    return f


def tries22(f: dict, d: Path) -> list[tuple[str, list, dict]]:
    big = "100000000"
    quick = {"timeout": 20}
    return [
        ("info np.float64(nested tuple), 1.2 KB", ["info", f["amp"]], {}),
        ("info void numpy scalar in metrics", ["info", "--json", f["void"]], {}),
        ("info 600 MB zip bomb + hidden end record", ["info", f["bombtail"]], {}),
        ("info stride-0 view 20,000 x 20,000", ["info", f["view"]], {}),
        ("sample vocab entry of 100,000 chars", ["sample", f["vocab"], "-n", "1", "--max-chars", "5"], {}),
        ("info float8 weights", ["info", f["f8"]], {}),
        ("info lineage parent named None", ["info", f["noname"]], {}),
        ("corpus import 931-byte parquet (1.6 GB)", ["corpus", "import", f["parquet"], "-o", d / "o.jsonl"], {}),
        ("corpus import 1.5 GB sparse JSONL", ["corpus", "import", d / "sparse.jsonl", "-o", d / "o2.jsonl"], {}),
        ("eval --text 1.5 GB sparse text", ["eval", f["good"], "--text", d / "sparse.txt"], {}),
        ("sample -n 10**8", ["sample", f["good"], "-n", big, "--max-chars", "2"], quick),
        ("sample --max-chars 10**8", ["sample", f["good"], "-n", "1", "--max-chars", big], quick),
        ("scan --points 10**8", ["scan", f["good"], f["b"], "--text", d / "t.txt", "--points", big], quick),
        (
            "darwin --population 10**8",
            ["darwin", f["good"], f["b"], "--text", d / "t.txt", "--population", big, "-o", d / "dd"],
            quick,
        ),
        (
            "corpus build --per-class 10**8",
            ["corpus", "build", "builtin", "--per-class", big, "-o", d / "cb.jsonl"],
            quick,
        ),
        ("eval --context 10**8", ["eval", f["good"], "--text", d / "t.txt", "--context", big], quick),
        (
            "train --seed 2**70",
            [
                "train",
                "--corpus",
                d / "c.jsonl",
                "--seed",
                str(2**70),
                "--steps",
                "1",
                "--dim",
                "16",
                "--depth",
                "1",
                "--heads",
                "1",
                "--dim-head",
                "8",
                "--context",
                "16",
                "-o",
                d / "t.pt",
            ],
            {},
        ),
        (
            "darwin -o DIR, DIR/champion.pt is parent A",
            [
                "darwin",
                d / "run" / "champion.pt",
                f["b"],
                "--text",
                d / "t.txt",
                "--population",
                "2",
                "--generations",
                "1",
                "--no-racing",
                "-o",
                d / "run",
            ],
            {},
        ),
        ("corpus import X -o X", ["corpus", "import", d / "c.jsonl", "-o", d / "c.jsonl"], {}),
    ]


def main() -> None:
    issue = "12"
    if sys.argv[1:2] == ["--issue"]:
        issue = sys.argv[2]
        del sys.argv[1:3]
    roots = [Path(p).resolve() for p in sys.argv[1:3]]
    results = {}
    for root in roots:
        with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
            d = Path(tmp)
            f = build(d) if issue == "12" else build22(d)
            listed = tries(f, d) if issue == "12" else tries22(f, d)
            for label, argv, options in listed:
                if issue != "12":
                    save_tiny(d / "run" / "champion.pt", seed=1)
                for victim in ("victim1.pt", "victim2.pt"):
                    save_tiny(d / victim, seed=3)
                run = run_cli(*argv, cwd=d, repo=root, **options)
                first = (run.err.strip().splitlines() or [""])[-1][:110]
                results.setdefault(label, []).append((run, first))
                print(
                    f"{root.name}: {label}: {run.code} {run.seconds:.1f}s {run.peak_rss_mb:.0f}MB {first}",
                    file=sys.stderr,
                )
    print("| try | before: exit, time, peak RSS | after: exit, time, peak RSS | after: message |")
    print("| --- | --- | --- | --- |")
    for label, runs in results.items():
        cells = []
        for run, _ in runs:
            code = "timeout (killed)" if run.code == -9 else "SIGSEGV" if run.code == -11 else str(run.code)
            cells.append(f"{code}, {run.seconds:.1f} s, {run.peak_rss_mb:,.0f} MB")
        message = runs[-1][1].replace("|", "\\|")
        print(f"| {label} | {' | '.join(cells)} | {message} |")


if __name__ == "__main__":
    main()
