# The two commands a newcomer needs: `make run` and `make test`. Everything else is CMake.
BUILD      ?= build
SAN_BUILD  ?= build-san
DB         ?= demo/wangge.db
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)

.PHONY: all setup build run test test-fast test-san bench format format-check clean

all: build

setup:
	scripts/setup

build:
	cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Sets up, builds, creates the demo city if there is none, and serves it.
run: setup build
	@mkdir -p $(dir $(DB))
	@if [ ! -f $(DB) ]; then $(BUILD)/wangge demo --db $(DB) --scale city; fi
	@echo "wangge: open http://$(LISTEN)/  (Ctrl-C stops)"
	@if [ -f $(DB).accounts.json ]; then node scripts/print-accounts.mjs $(DB).accounts.json; fi
	$(BUILD)/wangge serve --db $(DB) --listen $(LISTEN) --web web

# Every test suite: gcc build (unit, API, browser), then a clang build under ASan+UBSan (unit, API).
test: setup build format-check
	cd $(BUILD) && ctest --output-on-failure -j 1
	$(MAKE) test-san

test-san:
	cmake -S . -B $(SAN_BUILD) -DCMAKE_C_COMPILER=clang -DWANGGE_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j 1 -L 'unit|api'

bench: setup build
	bench/run

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
