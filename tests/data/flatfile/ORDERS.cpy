*> Orders extract (written by a PC COBOL compiler, free format)
01 ORDER-REC.
   05 ORDER-NO        PIC 9(6).
   05 CUSTOMER-NAME   PIC X(12).
   05 QTY             PIC S9(4) COMP-5.
   05 PRICE           PIC S9(5)V99.
   05 DISCOUNT        PIC S9(3)V99 SIGN LEADING SEPARATE.
   05 ORDER-DATE      PIC 9(8).
   05 STATUS-CODE     PIC X.
      88 SHIPPED      VALUE 'S'.
      88 OPEN-ORDER   VALUE 'O'.
   05 LINES-COUNT     PIC 9.
   05 ORDER-LINE OCCURS 0 TO 3 TIMES DEPENDING ON LINES-COUNT.
      10 SKU          PIC X(4).
