from gateways.simulator.cli import main

main()
