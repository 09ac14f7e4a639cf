/* Test plugin: the entry symbol exists but returns NULL. */
#include <stddef.h>

#include "capstan/abi/common.h"

__attribute__((visibility("default"))) const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return NULL;
}
