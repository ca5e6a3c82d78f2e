from ttgateway.simulator.cli import main

main()
