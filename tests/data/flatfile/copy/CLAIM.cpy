      * Claim record: the header member sits beside this copybook, the
      * amount block in members/ (found through --copybook-dir).
       01  CLAIM-REC.
           COPY CLMHDR.
           COPY AMOUNTS REPLACING ==:PFX:== BY ==PAY==.
