// `capstan`: the single binary. Subcommands dispatch to the components; this file is wiring only.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::printf("usage: capstan <server|agent|plugin> [flags]\n");
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "server") == 0) {
    std::fprintf(stderr, "capstan server: the API server is not built yet (issue 3)\n");
    return 3;
  }
  std::fprintf(stderr, "capstan: unknown subcommand '%s'\n", argv[1]);
  return 2;
}
