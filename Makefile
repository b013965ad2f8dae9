# The front door: `make` builds build/yilian, `make demo` runs it, `make test` runs every
# test. The real build is CMake (CMakeLists.txt); this file only drives it.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DB ?= demo/yilian-demo.db
LISTEN ?= 127.0.0.1:8080

.PHONY: all build demo test test-quick asan fuzz bench clean format

all: build

build:
	@scripts/deps.sh build
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

# a synthetic region of 10,000 residents, made and imported once (demo/), then served
demo: build
	@DB=$(DB) LISTEN=$(LISTEN) scripts/demo.sh

asan:
	@cmake -S . -B build-asan -DYL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-asan -j $(JOBS)

fuzz:
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DYL_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

test:
	@scripts/deps.sh test
	@tests/run.sh

bench: build
	@scripts/deps.sh bench
	bench/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c' | grep -v -- '-gen.c')

clean:
	rm -rf build build-asan build-fuzz
