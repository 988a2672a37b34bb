print("cozebridge host")
