# Third-party dependencies, all from Debian packages (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(GTest REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(ZLIB REQUIRED)  # core/image: gzip layers

find_path(LEVELDB_INCLUDE_DIR leveldb/db.h REQUIRED)
find_library(LEVELDB_LIBRARY leveldb REQUIRED)
add_library(capstan_leveldb INTERFACE)
target_include_directories(capstan_leveldb INTERFACE ${LEVELDB_INCLUDE_DIR})
target_link_libraries(capstan_leveldb INTERFACE ${LEVELDB_LIBRARY})

find_path(VALIJSON_INCLUDE_DIR valijson/validator.hpp REQUIRED)
add_library(capstan_valijson INTERFACE)
target_include_directories(capstan_valijson SYSTEM INTERFACE ${VALIJSON_INCLUDE_DIR})

# mimalloc (Debian libmimalloc-dev) replaces glibc malloc in the long-running executables: the
# API server allocates and frees a JSON tree per request, and glibc's malloc/free took about a
# quarter of its CPU (bench/results). Linked, it interposes malloc for plugins (.so) too, so
# memory crosses the ABI within one allocator. Sanitizer builds keep their own allocator.
add_library(capstan_malloc INTERFACE)
if(NOT CAPSTAN_SANITIZE)
  find_library(MIMALLOC_LIBRARY NAMES mimalloc REQUIRED)
  target_link_libraries(capstan_malloc INTERFACE ${MIMALLOC_LIBRARY})
endif()
