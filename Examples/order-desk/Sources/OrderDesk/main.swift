import Cairn
import CairnCLI
import OrderStation
import StockMonitor

// `order-desk run stock-monitor --input '{"sku": "Apple", "rounds": 5}'`: the monitor publishes, and a station run
// starts on each request, in this process; `order-desk list --parent RUN` shows them.
await CairnCLI.main(workflows: [WorkflowRegistration(StockMonitor()), WorkflowRegistration(OrderStation())])
