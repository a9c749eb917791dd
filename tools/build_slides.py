"""Build the one-session slides: a reveal.js deck that works offline, from a notebook.

    python tools/build_slides.py                 # build/slides/one_session.slides.html (`make slides`)
    python tools/build_slides.py --assets-only   # only fetch and verify the deck's JavaScript (`make test`)

The deck is made by ``jupyter nbconvert --to slides`` from ``notebooks/class/one_session.ipynb``, whose
cells carry Jupyter's slideshow metadata (slide, subslide, notes, skip). The slides show the cells'
stored outputs (figures included), not their code. Everything the page loads sits beside it, so it
opens from a USB stick in a room without internet:

- reveal.js, require.js and jQuery, the libraries nbconvert's reveal template loads, fetched once from
  the npm registry at the pinned versions below and checked against the registry's SHA-512 (cached
  in the virtual environment, like the Python packages);
- MathJax 2, from the ``jupyter-server-mathjax`` package (requirements.txt).

nbconvert's template would load two more from a CDN: mermaid and the widget manager. The deck uses
neither (``tools/slides_template/offline_reveal`` leaves them out). tests/browser/test_slides.py opens
the deck in Chromium with the network blocked and checks every slide.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "class" / "one_session.ipynb"
OUT = ROOT / "build" / "slides"
TEMPLATES = Path(__file__).resolve().parent / "slides_template"
CACHE = Path(sys.prefix) / "share" / "temperature-lessons" / "slide-assets"

# name -> (npm tarball, its SHA-512 as the registry's "integrity", {path in the tarball: path in the deck})
ASSETS = {
    "reveal.js 4.6.1 (MIT)": (
        "https://registry.npmjs.org/reveal.js/-/reveal.js-4.6.1.tgz",
        "sha512-1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/HHgbPF32Dn7aiu/LKWDOGjMbaDwKQiGmfqcoGQ74HUHCMw==",
        {"package/dist": "reveal.js/dist", "package/plugin/notes": "reveal.js/plugin/notes",
         "package/LICENSE": "reveal.js/LICENSE"},
    ),
    "require.js 2.3.7 (MIT)": (
        "https://registry.npmjs.org/requirejs/-/requirejs-2.3.7.tgz",
        "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
        {"package/require.js": "require.js", "package/LICENSE": "require.js.LICENSE"},
    ),
    "jQuery 3.7.1 (MIT)": (
        "https://registry.npmjs.org/jquery/-/jquery-3.7.1.tgz",
        "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
        {"package/dist/jquery.min.js": "jquery.min.js", "package/LICENSE.txt": "jquery.LICENSE.txt"},
    ),
}
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the configuration jupyter-server-mathjax ships


def _download(url: str, integrity: str) -> bytes:
    """The bytes at ``url``, checked against an npm ``sha512-…`` integrity string."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            raw = response.read()
    except OSError as err:
        raise SystemExit(f"could not download {url} ({err}): the slides need it once; connect to the "
                         "internet (or copy a built deck, which then works offline) and try again") from err
    digest = "sha512-" + base64.b64encode(hashlib.sha512(raw).digest()).decode()
    if digest != integrity:
        raise SystemExit(f"{url} is not the file the npm registry lists (SHA-512 differs): not used")
    return raw


def fetch_assets(cache: Path = CACHE) -> Path:
    """The deck's JavaScript in ``cache`` (fetched and verified on the first call, then reused).

    Returns the folder, laid out as the deck needs it (``reveal.js/``, ``require.js``, ``jquery.min.js``).
    """
    done = cache / ".complete"
    if done.exists():
        return cache
    if cache.exists():
        shutil.rmtree(cache)  # a half-finished earlier fetch
    cache.mkdir(parents=True)
    for name, (url, integrity, members) in ASSETS.items():
        with tarfile.open(fileobj=io.BytesIO(_download(url, integrity)), mode="r:gz") as tar:
            for member in tar.getmembers():
                for inside, dest in members.items():
                    if member.isfile() and (member.name == inside or member.name.startswith(inside + "/")):
                        target = cache / dest / Path(member.name).relative_to(inside)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(tar.extractfile(member).read())
        print(f"fetched {name}")
    done.touch()
    return cache


def mathjax_folder() -> Path:
    """MathJax 2 as the ``jupyter-server-mathjax`` package ships it (its ``static`` folder)."""
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise SystemExit("the slides need jupyter-server-mathjax: install requirements.txt "
                         "(make slides does)") from err
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def build(notebook: Path = NOTEBOOK, out: Path = OUT) -> Path:
    """Write ``out/<notebook stem>.slides.html`` and its JavaScript beside it; return the page's path."""
    if not notebook.is_file():
        raise SystemExit(f"no notebook at {notebook}")
    assets = fetch_assets()
    out.mkdir(parents=True, exist_ok=True)
    for item in assets.iterdir():
        if item.name.startswith("."):
            continue
        target = out / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    shutil.copytree(mathjax_folder(), out / "mathjax", dirs_exist_ok=True)
    command = [
        sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", str(notebook),
        f"--output-dir={out}",
        "--no-input", "--no-prompt",  # a projector shows what the cells printed, not their code
        f"--TemplateExporter.extra_template_basedirs={TEMPLATES}", "--template=offline_reveal",
        "--SlidesExporter.reveal_url_prefix=reveal.js",
        "--SlidesExporter.reveal_theme=white",
        "--SlidesExporter.reveal_scroll=True",  # a slide taller than the screen scrolls
        "--HTMLExporter.require_js_url=require.js",
        "--HTMLExporter.jquery_url=jquery.min.js",
        f"--HTMLExporter.mathjax_url=mathjax/MathJax.js?config={MATHJAX_CONFIG}",
        "--HTMLExporter.embed_images=True",  # the markdown's pictures inside the page
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    return out / f"{notebook.stem}.slides.html"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets-only", action="store_true", help="only fetch and verify the JavaScript")
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.assets_only:
        print(f"the slides' JavaScript is in {fetch_assets()}")
        return
    page = build(args.notebook, args.out)
    print(f"the deck: {page} (open it in a browser; it needs no internet; press S for the speaker notes)")


if __name__ == "__main__":
    main()
