"""cfn-lint rules shipped with ecr-repos; load this directory with ``cfn-lint --append-rules``.

cfn-lint imports each ``*.py`` file here on its own (not as a package) and instantiates every
rule class it finds; nothing in the provider imports this package at runtime.
"""
