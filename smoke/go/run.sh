#!/usr/bin/env bash
# Builds main.go against the Go module jsii-pacmak generated (dist/go, through the replace in
# go.mod), then synthesizes and checks a stack.
set -euo pipefail
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
cd "$(dirname "$0")"
go run .
