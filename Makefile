# Thin aliases over the project's scripts; `make help` lists them.
.PHONY: help demo test broker-start broker-stop worker

VENV := .venv
BIN := $(VENV)/bin

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/wirewatch: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

demo: $(BIN)/wirewatch  ## set up, then replay the bundled sample wires and print the alerts
	$(BIN)/wirewatch replay agents/samples/wires.jsonl --articles-out out/articles.jsonl --deadletter-out out/deadletter.jsonl

test:  ## set up, start a local Kafka, run lint, types and every test (what CI runs)
	bash .ci/run

broker-start:  ## start the local Kafka broker on 127.0.0.1:9092
	bash deploy/kafka/broker.sh start

broker-stop:  ## stop it
	bash deploy/kafka/broker.sh stop

worker: $(BIN)/wirewatch  ## run the service against the local broker
	$(BIN)/wirewatch worker
