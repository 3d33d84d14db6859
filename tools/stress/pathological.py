"""Writes the pathological pipelines of issue 13's measurements into a folder.

python3 tools/stress/pathological.py /tmp/stress
  warnings.sluice    20,000 unused lets (20,000 warnings rendered)
  long_name.sluice   an unknown column name of 100,000 characters ("did you mean")
  deep_plan.sluice   1,990 mixed steps (derive, filter, drop, sort) in one chain
  chained.sluice     200,000 lets, each the one before
"""
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/stress"
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "t.csv"), "w") as f:
    f.write("a,b\n1,2\n3,4\n")
head = f'pipeline p\nsource t = csv("{out}/t.csv", header = true)\n'
sink = lambda rel: f'sink {rel} -> csv("{out}/o.csv")\n'


def write(name, text):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)


write("warnings.sluice", head + "".join(f"let u{i} = t\n" for i in range(20000)) + sink("t"))
write("long_name.sluice", head + "let x = t | derive c = " + "b" * 100000 + "\n" + sink("x"))
steps = []
for i in range(1990):
    steps.append([f"  | derive c{i} = a + {i}", "  | filter a > -1", f"  | drop c{i - 2}", "  | sort a"][i % 4])
write("deep_plan.sluice", head + "let x = t\n" + "\n".join(steps) + "\n" + sink("x"))
write("chained.sluice", head + "let l0 = t\n" + "".join(f"let l{i} = l{i - 1}\n" for i in range(1, 200000)) + sink("l199999"))
