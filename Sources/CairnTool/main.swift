import CairnCLI
import CairnInventory

// The `cairn` executable: the engine's CLI with the shipped inventory domain plugged in.
await CairnCLI.main(plugins: [Inventory.plugin])
