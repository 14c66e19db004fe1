import RiskGateCLI

await RiskGate.start()
