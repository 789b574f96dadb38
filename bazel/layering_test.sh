#!/bin/bash
# Fails when the dependency list (argument 1, the output of a genquery over a package's roots)
# holds a target of a forbidden package (arguments 3...): one of the same or a higher layer than
# the package (argument 2). See bazel/layering.bzl for the layers.
set -euo pipefail
deps="$1"
package="$2"
shift 2
# Guard against an empty or wrong file making the check vacuous.
if ! grep -q "^${package}:" "$deps"; then
  echo "FAIL: no target of ${package} in the dependency list ${deps}; the query is broken" >&2
  exit 1
fi
status=0
for forbidden in "$@"; do
  if grep -E "^${forbidden}[:/]" "$deps"; then
    echo "FAIL: ${package} depends on ${forbidden} (targets above), a package of its layer or above" >&2
    status=1
  fi
done
if [[ $status -eq 0 ]]; then
  echo "OK: $(wc -l < "$deps") targets in the closure of ${package}, none in: $*"
fi
exit $status
