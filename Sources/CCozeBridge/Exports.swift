import CozeCore
