# Sigap: the two commands that matter are `make run` and `make test`.
.DEFAULT_GOAL := help
SHELL := /bin/bash

SERVICE ?=

.PHONY: help install run up down status restart lag deadletters test test-unit test-integration test-e2e test-scale

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

install: ## install uv, the locked Python dependencies, the web pages' npm libraries, Kafka's jars and PostgreSQL
	@bash deploy/bootstrap.sh >/dev/null
	@bash deploy/web.sh assets
	@bash deploy/kafka.sh install
	@bash deploy/postgres.sh install

run: install ## start Kafka, PostgreSQL, the four services and the web pages (:8080); Ctrl-C stops everything
	@bash deploy/services.sh run

up: install ## the same as run, in the background
	@bash deploy/services.sh up

down: ## stop everything that `make up` started
	@bash deploy/services.sh down

status: ## show what is running
	@bash deploy/services.sh status

restart: ## restart one service with this shell's SIGAP_* settings, the rest keeps running: make restart SERVICE=status
	@bash deploy/services.sh restart "$(SERVICE)"

lag: ## how far behind each consumer group is, per partition (sigap-ops lag)
	@.venv/bin/sigap-ops lag

deadletters: ## the dead letters on sigap.deadletter (sigap-ops deadletters list; show and replay: sigap-ops --help)
	@.venv/bin/sigap-ops deadletters list

test: install ## unit, integration, e2e and browser tests against real Kafka and PostgreSQL
	@bash deploy/test.sh

test-unit: install ## unit tests only (no infrastructure)
	@bash deploy/test.sh tests/unit

test-integration: install ## integration tests only
	@bash deploy/test.sh tests/integration

test-e2e: install ## end-to-end tests only
	@bash deploy/test.sh tests/e2e

test-scale: install ## the services on a 3-node Kafka cluster while a node stops and starts again
	@bash deploy/test.sh -m scale tests/e2e
