"""Package layout pyproject.toml cannot express on its own (everything else is in pyproject.toml).

The Hydra configuration stays in the repository's top-level ``conf/`` folder and ships inside the
wheel as the package ``motiongen.conf`` (``package_dir`` maps it onto ``conf/``; its yaml files are
package data in pyproject.toml), so a regular ``pip install .`` can compose its configs;
:func:`motiongen.config.conf_dir` finds either layout. pyproject.toml cannot combine automatic
package discovery with that mapping, hence this file.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["motiongen", "motiongen.*", "render", "render.*"]), "motiongen.conf"],
    package_dir={"motiongen.conf": "conf"},
)
