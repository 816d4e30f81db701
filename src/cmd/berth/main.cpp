// berth: the command line of Berth, a client of berthd's Docker Engine API.
#include "cli/command.h"

int main(int argc, char** argv) { return berth::cli::runMain(argc, argv); }
