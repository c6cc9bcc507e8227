*> Amount block (free format); :PFX: is chosen by the COPY statement
05 :PFX:-AMOUNT   PIC S9(5)V99 COMP-3.
05 :PFX:-WEEKS    PIC 9(2).
