/**
 * A small project with a gate (`acc >= 0.8`, acc taken from the params) and a model of
 * two files, one the same in every run; `files` outputs with `tag` in them, so runs can
 * share blobs or not.
 */
import { gitProject, yamlFor, type Sandbox } from './cli.js';

/** Logs `acc` from the params and writes two model files, one the same in every run. */
export const TRAIN_PY = `import json, os
p = json.load(open(os.environ["REPRISE_PARAMS"]))
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 1, "acc": p["acc"]}) + "\\n")
model = os.environ["REPRISE_MODEL_DIR"]
with open(os.path.join(model, "weights.txt"), "w") as f:
    f.write("weights for acc %s\\n" % p["acc"])
with open(os.path.join(model, "shared.txt"), "w") as f:
    f.write("the same in every run\\n")
out = os.environ["REPRISE_OUTPUT_DIR"]
for i in range(p.get("files", 0)):
    with open(os.path.join(out, "f%05d.txt" % i), "w") as f:
        f.write("%s %d\\n" % (p.get("tag", "x"), i))
`;

export const GATED_YAML = yamlFor([{ name: 'train', cmd: 'python3 train.py' }], 'env: { system: true }\nmodel: { name: clf }\ngates:\n  - { metric: acc, op: ">=", value: 0.8 }\n');

export function gatedProject(sb: Sandbox, name = 'gated'): string {
  return gitProject(sb, { 'reprise.yaml': GATED_YAML, 'train.py': TRAIN_PY, 'input.json': JSON.stringify({ acc: 0.9, files: 0, tag: 'x' }) }, name);
}
