import RiskGateCLI

RiskGate.start()
