/**
 * Wheels made by the tests, so environment builds never reach a package index.
 */
import { spawnSync } from 'node:child_process';

/** Writes a minimal valid pure-Python wheel (package, METADATA, WHEEL, RECORD with digests) with zipfile. */
const MAKE_WHEEL = `
import base64, hashlib, os, sys, zipfile
out, name, version = sys.argv[1:4]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f'VERSION = "{version}"\\n',
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: reprise-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = [f"{path},sha256={digest(text.encode())},{len(text.encode())}" for path, text in files.items()]
files[f"{info}/RECORD"] = "\\n".join(record + [f"{info}/RECORD,,"]) + "\\n"
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(os.path.join(out, f"{name}-{version}-py3-none-any.whl"), "w") as z:
    for path, text in files.items():
        z.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), text)
`;

export function makeWheel(outDir: string, name: string, version: string): void {
  const res = spawnSync('python3', ['-c', MAKE_WHEEL, outDir, name, version], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`making the wheel failed: ${res.stderr}`);
}

