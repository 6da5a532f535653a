// Placeholder entry point; replaced by the samplan command line.
#include <cstdio>
int main() {
  std::puts("samplan: commands not built yet");
  return 0;
}
